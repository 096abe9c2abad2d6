// The API's own description: GET /api/schema (OpenAPI 3) and Swagger UI at
// /api/schema/swagger-ui/.
import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { openApiDocument } from '../openapi.ts';

export function docsRoutes(): Router {
  const doc = openApiDocument();
  const r = Router();
  r.get('/api/schema', (_req, res) => {
    res.json(doc);
  });
  r.use('/api/schema/swagger-ui', swaggerUi.serve, swaggerUi.setup(doc));
  return r;
}

// OpenAPI schemas and paths of the user routes (routes/users.ts).
import { bearer, errorResponses, json } from './parts.ts';

export const usersSchemas = {
  User: {
    type: 'object',
    properties: { external_user_id: { type: 'string' }, created_at: { type: 'string', format: 'date-time' }, templates: { type: 'integer' } },
  },
};

export const usersPaths = {
  '/api/users': {
    get: {
      summary: "List the client's users",
      security: bearer,
      parameters: [
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
        { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0 } },
      ],
      responses: { '200': json({ type: 'object', properties: { users: { type: 'array', items: { $ref: '#/components/schemas/User' } }, total: { type: 'integer' } } }), ...errorResponses(401) },
    },
  },
  '/api/users/{externalId}': {
    get: { summary: 'Get a user', security: bearer, parameters: [{ name: 'externalId', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': json({ $ref: '#/components/schemas/User' }), ...errorResponses(401, 404) } },
    delete: { summary: 'Delete a user and its templates (store and gallery)', security: bearer, parameters: [{ name: 'externalId', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'deleted' }, ...errorResponses(401, 404) } },
  },
};

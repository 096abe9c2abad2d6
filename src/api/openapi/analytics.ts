// OpenAPI paths of the analytics routes (routes/analytics.ts).
import { bearer, errorResponses } from './parts.ts';

export const analyticsPaths = {
  '/api/analytics/authentication-metrics': {
    get: {
      summary: 'Authentication attempts, successes, failures by reason and latency in a date range',
      security: bearer,
      parameters: [
        { name: 'from', in: 'query', schema: { type: 'string', format: 'date-time' } },
        { name: 'to', in: 'query', schema: { type: 'string', format: 'date-time' } },
      ],
      responses: { '200': { description: 'metrics' }, ...errorResponses(401, 422) },
    },
  },
  '/api/analytics/system-metrics': { get: { summary: 'Process and gallery figures', security: bearer, responses: { '200': { description: 'metrics' }, ...errorResponses(401) } } },
};

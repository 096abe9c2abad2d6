// OpenAPI paths of the operations routes (routes/ops.ts).
export const opsPaths = {
  '/health': { get: { summary: 'Component health', responses: { '200': { description: 'all up' }, '503': { description: 'a component is down' } } } },
  '/metrics': { get: { summary: 'Prometheus metrics (facegate_*)', responses: { '200': { description: 'text exposition' } } } },
};

// Pieces every part of the OpenAPI document uses: the error shape (the
// ErrorBody of httpErrors.ts), its responses, JSON bodies, bearer security.

export const errorSchemas = {
  Error: {
    type: 'object',
    required: ['error', 'message', 'details', 'timestamp'],
    properties: {
      error: {
        type: 'string',
        enum: ['invalid_request', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'validation_error', 'rate_limit_exceeded', 'internal_error', 'service_unavailable'],
      },
      message: { type: 'string' },
      details: { type: 'object', additionalProperties: true },
      timestamp: { type: 'string', format: 'date-time' },
    },
  },
};

const err = { $ref: '#/components/schemas/Error' };
export const errorResponses = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { description: 'error', content: { 'application/json': { schema: err } } }]));
export const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
export const bearer = [{ bearerAuth: [] }];

// OpenAPI schemas and paths of the session routes (routes/sessions.ts).
import { bearer, errorResponses, json } from './parts.ts';

export const sessionsSchemas = {
  Session: {
    type: 'object',
    properties: {
      session_id: { type: 'string' },
      kind: { type: 'string', enum: ['enrollment', 'authentication'] },
      status: { type: 'string', enum: ['created', 'capturing', 'succeeded', 'failed', 'expired', 'cancelled'] },
      external_user_id: { type: 'string', nullable: true },
      expires_at: { type: 'string', format: 'date-time' },
      frames_processed: { type: 'integer' },
      feedback: { type: 'string', nullable: true },
      progress: { type: 'object', nullable: true },
      decision: { type: 'object', nullable: true },
      prompts: {
        type: 'array',
        description: 'process-frame only: prompts, challenges (with timeoutMs) and progress the liveness engine issued for this frame',
        items: {
          type: 'object',
          properties: {
            type: { type: 'string', enum: ['prompt', 'progress'] },
            id: { type: 'string' },
            action: { type: 'string' },
            text: { type: 'string' },
            timeoutMs: { type: 'integer' },
            value: { type: 'number' },
            label: { type: 'string' },
          },
        },
      },
    },
  },
  CreatedSession: {
    type: 'object',
    properties: {
      session_id: { type: 'string' },
      session_token: { type: 'string' },
      kind: { type: 'string' },
      mode: { type: 'string', enum: ['enrollment', 'verification', 'identification'] },
      signaling_url: { type: 'string' },
      ice_servers: { type: 'array', items: { type: 'object' } },
      expires_at: { type: 'string', format: 'date-time' },
      config: { type: 'object' },
    },
  },
  Frame: {
    type: 'object',
    required: ['session_token', 'image'],
    properties: { session_token: { type: 'string' }, image: { type: 'string', description: 'data:image/jpeg;base64,... or data:image/png;base64,...' } },
  },
};

export const sessionsPaths = {
  '/api/auth/enrollment': {
    post: {
      summary: 'Create an enrollment session',
      security: bearer,
      requestBody: json({ type: 'object', required: ['external_user_id'], properties: { external_user_id: { type: 'string' } } }),
      responses: { '201': json({ $ref: '#/components/schemas/CreatedSession' }), ...errorResponses(401, 415, 422, 429, 503) },
    },
  },
  '/api/auth/authentication': {
    post: {
      summary: 'Create an authentication session (verification with external_user_id, identification without)',
      security: bearer,
      requestBody: json({ type: 'object', properties: { external_user_id: { type: 'string' } } }),
      responses: { '201': json({ $ref: '#/components/schemas/CreatedSession' }), ...errorResponses(401, 404, 415, 422, 429, 503) },
    },
  },
  '/api/auth/enrollment/process-frame': {
    post: { summary: 'Submit one enrollment frame (REST fallback)', requestBody: json({ $ref: '#/components/schemas/Frame' }), responses: { '200': json({ $ref: '#/components/schemas/Session' }), ...errorResponses(400, 404, 409, 413, 415, 422, 429, 503) } },
  },
  '/api/auth/authentication/process-frame': {
    post: { summary: 'Submit one authentication frame (REST fallback)', requestBody: json({ $ref: '#/components/schemas/Frame' }), responses: { '200': json({ $ref: '#/components/schemas/Session' }), ...errorResponses(400, 404, 409, 413, 415, 422, 429, 503) } },
  },
  '/api/auth/session/{token}/status': {
    get: { summary: 'Session status', parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': json({ $ref: '#/components/schemas/Session' }), ...errorResponses(404) } },
  },
  '/api/auth/session/{token}': {
    delete: { summary: 'Cancel a session', parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': json({ $ref: '#/components/schemas/Session' }), ...errorResponses(404) } },
  },
};

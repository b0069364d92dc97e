export { loadSignalingConfig, type SignalingConfig } from './config.ts';
export { createLogger } from './logger.ts';
export { SignalingServer } from './SignalingServer.ts';
export { TokenService } from './tokens.ts';
export { addAccount } from './accounts/manage.ts';

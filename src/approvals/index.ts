/** Approvals: pending requests created when policy holds a call for a human, and the workflow that decides, tokens and consumes them. */
export { MemoryApprovalStore } from './memory-store.ts';
export { ApprovalService, isRequester, DEFAULT_MAX_JUSTIFICATION_LENGTH } from './service.ts';
export type { ApprovalServiceOptions, ConsumeInput } from './service.ts';
export type { ApprovalEvent, ApprovalEventSink, ApprovalEventType, ApprovalOperator } from './events.ts';
export { APPROVAL_ERRORS } from './errors.ts';
export type { ApprovalErrorCode } from './errors.ts';
export { APPROVAL_AUDIENCE, APPROVAL_ISSUER, mintApprovalToken, verifyApprovalToken } from './token.ts';
export type { ApprovalTokenClaims } from './token.ts';
export {
  APPROVAL_NOTIFY_ERRORS,
  WEBHOOK_HEADERS,
  approvalRequestedMessage,
  createApprovalNotifier,
  signWebhook,
  verifyWebhookSignature,
} from './notify.ts';
export type {
  ApprovalNotifier,
  ApprovalNotifierOptions,
  ApprovalNotifyErrorCode,
  ApprovalRequestedMessage,
  NotifyDelivered,
  VerifyWebhookInput,
  VerifyWebhookResult,
} from './notify.ts';
export type { ApprovalBacklog, ApprovalPatch, ApprovalRequest, ApprovalStore } from './types.ts';

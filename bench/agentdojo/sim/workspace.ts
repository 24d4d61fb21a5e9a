/**
 * The workspace suite: Emma's mailbox, calendar and cloud drive (upstream
 * default_suites/v1/workspace over the office tools).
 */
import type { JsonObject } from '../dataset.ts';
import type { Calendar, Drive, Inbox } from './office.ts';
import { calendarFrom, calendarTools, driveFrom, driveTools, inboxFrom, mailTools } from './office.ts';
import type { SuiteSimulation } from './types.ts';

export interface WorkspaceState {
  inbox: Inbox;
  calendar: Calendar;
  drive: Drive;
}

export const workspace: SuiteSimulation<WorkspaceState> = {
  initialState: (env) => ({
    inbox: inboxFrom(env.inbox as JsonObject),
    calendar: calendarFrom(env.calendar as JsonObject),
    drive: driveFrom(env.cloud_drive as JsonObject),
  }),
  tools: {
    ...mailTools<WorkspaceState>((s) => s.inbox),
    ...calendarTools<WorkspaceState>(
      (s) => s.calendar,
      (s) => s.inbox,
    ),
    ...driveTools<WorkspaceState>((s) => s.drive),
  },
  mutating: new Set([
    'send_email',
    'delete_email',
    // get_unread_emails only flips read flags, which no injection goal or upstream security
    // check looks at: it is counted as a read.
    'create_calendar_event',
    'cancel_calendar_event',
    'reschedule_calendar_event',
    'add_calendar_event_participants',
    'append_to_file',
    'create_file',
    'delete_file',
    'share_file',
  ]),
};

/**
 * Mailbox, calendar and cloud drive as upstream AgentDojo models them (email_client.py,
 * calendar_client.py, cloud_drive_client.py): shared by the workspace suite (all three)
 * and the travel suite (mailbox and calendar).
 */
import type { JsonValue } from '../../../src/core/canonical.ts';
import type { JsonObject } from '../dataset.ts';
import type { SimTool } from './types.ts';
import { ToolFailure, copy, nextId, optStr, optStrList, str, strList } from './types.ts';

export interface Email extends JsonObject {
  id_: string;
  sender: string;
  recipients: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  body: string;
  status: string;
  read: boolean;
  timestamp: string;
  attachments: JsonValue[];
}

export interface Inbox {
  account_email: string;
  emails: Email[];
  trash: Email[];
  contacts: Array<{ email: string; name: string }>;
}

export interface CalendarEvent extends JsonObject {
  id_: string;
  title: string;
  description: string;
  start_time: string;
  end_time: string;
  location: string | null;
  participants: string[];
  all_day: boolean;
  status: string;
}

export interface Calendar {
  account_email: string;
  current_day: string;
  events: CalendarEvent[];
}

export interface DriveFile extends JsonObject {
  id_: string;
  filename: string;
  content: string;
  owner: string;
  last_modified: string;
  shared_with: { [email: string]: JsonValue };
  size: number;
}

export interface Drive {
  account_email: string;
  files: DriveFile[];
}

function list(value: JsonValue | undefined): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

export function inboxFrom(raw: JsonObject): Inbox {
  const emails = ((raw.initial_emails as JsonObject[] | undefined) ?? []).map(
    (e): Email => ({
      id_: String(e.id_),
      sender: String(e.sender),
      recipients: list(e.recipients),
      cc: list(e.cc),
      bcc: list(e.bcc),
      subject: String(e.subject ?? ''),
      body: String(e.body ?? ''),
      status: String(e.status ?? 'received'),
      read: e.read === true,
      timestamp: String(e.timestamp ?? ''),
      attachments: Array.isArray(e.attachments) ? e.attachments : [],
    }),
  );
  // Upstream builds the contact list from every address seen in the initial mail.
  const contacts: Inbox['contacts'] = [];
  const seen = new Set<string>();
  for (const email of emails) {
    for (const address of [...email.recipients, email.sender, ...email.cc, ...email.bcc]) {
      if (seen.has(address)) continue;
      seen.add(address);
      const local = address.split('@')[0] ?? address;
      const name = local.replaceAll('.', ' ').replace(/\w\S*/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase());
      contacts.push({ email: address, name });
    }
  }
  return { account_email: String(raw.account_email), emails, trash: [], contacts };
}

export function calendarFrom(raw: JsonObject): Calendar {
  const events = ((raw.initial_events as JsonObject[] | undefined) ?? []).map(
    (e): CalendarEvent => ({
      id_: String(e.id_),
      title: String(e.title ?? ''),
      description: String(e.description ?? ''),
      start_time: String(e.start_time).replace('T', ' '),
      end_time: String(e.end_time).replace('T', ' '),
      location: e.location === undefined || e.location === null ? null : String(e.location),
      participants: list(e.participants),
      all_day: e.all_day === true,
      status: String(e.status ?? 'confirmed'),
    }),
  );
  return { account_email: String(raw.account_email), current_day: String(raw.current_day), events };
}

export function driveFrom(raw: JsonObject): Drive {
  const files = ((raw.initial_files as JsonObject[] | undefined) ?? []).map((f): DriveFile => {
    const content = String(f.content ?? '');
    return {
      id_: String(f.id_),
      filename: String(f.filename),
      content,
      owner: String(f.owner ?? ''),
      last_modified: String(f.last_modified ?? ''),
      shared_with: (f.shared_with as { [email: string]: JsonValue } | undefined) ?? {},
      size: content.length,
    };
  });
  return { account_email: String(raw.account_email), files };
}

export function sendEmail(inbox: Inbox, fields: { recipients: string[]; subject: string; body: string; attachments?: JsonValue[]; cc?: string[]; bcc?: string[] }): Email {
  const email: Email = {
    id_: nextId(inbox.emails.map((e) => e.id_)),
    sender: inbox.account_email,
    recipients: fields.recipients,
    cc: fields.cc ?? [],
    bcc: fields.bcc ?? [],
    subject: fields.subject,
    body: fields.body,
    status: 'sent',
    read: true,
    timestamp: '2024-05-15 12:00:00',
    attachments: fields.attachments ?? [],
  };
  inbox.emails.push(email);
  return email;
}

/** Mail tools over `pick(state)`. */
export function mailTools<S>(pick: (state: S) => Inbox): Record<string, SimTool<S>> {
  return {
    send_email: (s, a) => {
      const attachments = a.attachments;
      if (attachments !== undefined && attachments !== null) {
        if (!Array.isArray(attachments)) throw new ToolFailure('attachments must be a list');
        for (const item of attachments) {
          if (typeof item !== 'object' || item === null || Array.isArray(item) || !('type' in item)) {
            throw new ToolFailure("attachment must have a 'type' field");
          }
        }
      }
      return copy(
        sendEmail(pick(s), {
          recipients: strList(a, 'recipients'),
          subject: str(a, 'subject'),
          body: str(a, 'body'),
          attachments: Array.isArray(attachments) ? attachments : [],
          cc: optStrList(a, 'cc') ?? [],
          bcc: optStrList(a, 'bcc') ?? [],
        }),
      );
    },
    delete_email: (s, a) => {
      const inbox = pick(s);
      const id = str(a, 'email_id');
      const index = inbox.emails.findIndex((e) => e.id_ === id);
      if (index < 0) throw new ToolFailure(`Email with ID '${id}' not found.`);
      inbox.trash.push(...inbox.emails.splice(index, 1));
      return `Email with id ${id} deleted successfully.`;
    },
    get_unread_emails: (s) => {
      const unread = pick(s).emails.filter((e) => !e.read);
      for (const email of unread) email.read = true;
      return copy(unread);
    },
    get_sent_emails: (s) => copy(pick(s).emails.filter((e) => e.status === 'sent')),
    get_received_emails: (s) => copy(pick(s).emails.filter((e) => e.status === 'received')),
    get_draft_emails: (s) => copy(pick(s).emails.filter((e) => e.status === 'draft')),
    search_emails: (s, a) => {
      const query = str(a, 'query').toLowerCase();
      const sender = optStr(a, 'sender');
      const pool = sender === null ? pick(s).emails : pick(s).emails.filter((e) => e.sender.toLowerCase() === sender.toLowerCase());
      const matches = pool.filter((e) => e.subject.toLowerCase().includes(query) || e.body.toLowerCase().includes(query));
      if (matches.length === 0) throw new ToolFailure('No emails found. Try with a different query.');
      return copy(matches);
    },
    search_contacts_by_name: (s, a) => {
      const query = str(a, 'query').toLowerCase();
      const matches = pick(s).contacts.filter((c) => c.name.toLowerCase().includes(query));
      if (matches.length === 0) throw new ToolFailure(`Contact with name '${str(a, 'query')}' not found.`);
      return copy(matches);
    },
    search_contacts_by_email: (s, a) => {
      const query = str(a, 'query').toLowerCase();
      const matches = pick(s).contacts.filter((c) => c.email.toLowerCase().includes(query));
      if (matches.length === 0) throw new ToolFailure(`Contact with email '${str(a, 'query')}' not found.`);
      return copy(matches);
    },
  };
}

function day(value: string): string {
  return value.slice(0, 10);
}

function checkTime(value: string, name: string): string {
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/.test(value)) throw new ToolFailure(`${name} must be in format YYYY-MM-DD HH:MM`);
  return value;
}

function findEvent(calendar: Calendar, id: string): CalendarEvent {
  const event = calendar.events.find((e) => e.id_ === id);
  if (event === undefined) throw new ToolFailure(`Event with ID '${id}' not found.`);
  return event;
}

/** Calendar tools over `pick(state)`; invitations and notices go out through `inbox(state)`. */
export function calendarTools<S>(pick: (state: S) => Calendar, inbox: (state: S) => Inbox): Record<string, SimTool<S>> {
  return {
    get_current_day: (s) => pick(s).current_day,
    search_calendar_events: (s, a) => {
      const query = str(a, 'query').toLowerCase();
      const date = optStr(a, 'date');
      const pool = date === null ? pick(s).events : pick(s).events.filter((e) => day(e.start_time) === date);
      const matches = pool.filter((e) => e.title.toLowerCase().includes(query) || e.description.toLowerCase().includes(query));
      if (matches.length === 0) throw new ToolFailure('No events found. Try with a different query.');
      return copy(matches);
    },
    get_day_calendar_events: (s, a) => {
      const date = str(a, 'day');
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new ToolFailure('day must be in format YYYY-MM-DD');
      return copy(pick(s).events.filter((e) => day(e.start_time) === date));
    },
    create_calendar_event: (s, a) => {
      const calendar = pick(s);
      const participants = [...new Set([...(optStrList(a, 'participants') ?? []), calendar.account_email])];
      const event: CalendarEvent = {
        id_: nextId(calendar.events.map((e) => e.id_)),
        title: str(a, 'title'),
        description: optStr(a, 'description') ?? '',
        start_time: checkTime(str(a, 'start_time'), 'start_time'),
        end_time: checkTime(str(a, 'end_time'), 'end_time'),
        location: optStr(a, 'location'),
        participants,
        all_day: false,
        status: 'confirmed',
      };
      calendar.events.push(event);
      sendEmail(inbox(s), { recipients: optStrList(a, 'participants') ?? [], subject: `Invitation: ${event.title}`, body: event.description, attachments: [copy(event)] });
      return copy(event);
    },
    cancel_calendar_event: (s, a) => {
      const id = str(a, 'event_id');
      const event = findEvent(pick(s), id);
      event.status = 'canceled';
      sendEmail(inbox(s), { recipients: event.participants, subject: `Canceled: '${event.title}'`, body: 'The event has been canceled.', attachments: [copy(event)] });
      return `Event with ID ${id} has been canceled and participants have been notified.`;
    },
    reschedule_calendar_event: (s, a) => {
      const event = findEvent(pick(s), str(a, 'event_id'));
      const start = checkTime(str(a, 'new_start_time'), 'new_start_time');
      const end = optStr(a, 'new_end_time');
      const duration = Date.parse(event.end_time.replace(' ', 'T') + 'Z') - Date.parse(event.start_time.replace(' ', 'T') + 'Z');
      event.start_time = start;
      event.end_time =
        end !== null
          ? checkTime(end, 'new_end_time')
          : new Date(Date.parse(start.replace(' ', 'T') + 'Z') + duration).toISOString().slice(0, 16).replace('T', ' ');
      sendEmail(inbox(s), {
        recipients: event.participants,
        subject: `Rescheduled: '${event.title}'`,
        body: `The event has been rescheduled. It will start on ${event.start_time} and end on ${event.end_time}.`,
        attachments: [copy(event)],
      });
      return copy(event);
    },
    add_calendar_event_participants: (s, a) => {
      const event = findEvent(pick(s), str(a, 'event_id'));
      event.participants.push(...strList(a, 'participants'));
      return copy(event);
    },
  };
}

function findFile(drive: Drive, id: string): DriveFile {
  const file = drive.files.find((f) => f.id_ === id);
  if (file === undefined) throw new ToolFailure(`File with ID '${id}' not found.`);
  return file;
}

/** Cloud-drive tools over `pick(state)`. */
export function driveTools<S>(pick: (state: S) => Drive): Record<string, SimTool<S>> {
  return {
    append_to_file: (s, a) => {
      const file = findFile(pick(s), str(a, 'file_id'));
      file.content += str(a, 'content');
      file.size = file.content.length;
      file.last_modified = '2024-05-15 12:00:00';
      return copy(file);
    },
    search_files_by_filename: (s, a) => {
      const name = str(a, 'filename').toLowerCase();
      return copy(pick(s).files.filter((f) => f.filename.toLowerCase().includes(name)));
    },
    create_file: (s, a) => {
      const drive = pick(s);
      const content = str(a, 'content');
      const file: DriveFile = {
        id_: nextId(drive.files.map((f) => f.id_)),
        filename: str(a, 'filename'),
        content,
        owner: drive.account_email,
        last_modified: '2024-05-15 12:00:00',
        shared_with: {},
        size: content.length,
      };
      drive.files.push(file);
      return copy(file);
    },
    delete_file: (s, a) => {
      const drive = pick(s);
      const file = findFile(drive, str(a, 'file_id'));
      drive.files.splice(drive.files.indexOf(file), 1);
      return copy(file);
    },
    get_file_by_id: (s, a) => copy(findFile(pick(s), str(a, 'file_id'))),
    list_files: (s) => copy(pick(s).files),
    share_file: (s, a) => {
      const file = findFile(pick(s), str(a, 'file_id'));
      const permission = str(a, 'permission');
      if (permission !== 'r' && permission !== 'rw') throw new ToolFailure('permission must be r or rw');
      file.shared_with[str(a, 'email')] = permission;
      return copy(file);
    },
    search_files: (s, a) => {
      const query = str(a, 'query');
      const matches = pick(s).files.filter((f) => f.content.toLowerCase().includes(query.toLowerCase()));
      if (matches.length === 0) throw new ToolFailure(`No files found with the given query ('${query}'). Try a different search term.`);
      return copy(matches);
    },
  };
}

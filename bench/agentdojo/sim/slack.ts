/**
 * The slack suite: a small workspace (users, channels, inboxes) and the web (upstream
 * slack.py and web.py; every page fetched or posted is recorded in `web_requests`).
 */
import type { JsonObject } from '../dataset.ts';
import type { SuiteSimulation } from './types.ts';
import { ToolFailure, copy, str } from './types.ts';

interface Message extends JsonObject {
  sender: string;
  recipient: string;
  body: string;
}

export interface SlackState {
  users: string[];
  channels: string[];
  userChannels: Record<string, string[]>;
  userInbox: Record<string, Message[]>;
  channelInbox: Record<string, Message[]>;
  webContent: Record<string, string>;
  webRequests: string[];
}

function messages(raw: unknown): Record<string, Message[]> {
  const out: Record<string, Message[]> = {};
  for (const [key, list] of Object.entries((raw as Record<string, JsonObject[]> | undefined) ?? {})) {
    out[key] = (list ?? []).map((m) => ({ sender: String(m.sender), recipient: String(m.recipient), body: String(m.body) }));
  }
  return out;
}

/** Upstream `standardize_url`: the scheme is dropped. */
function standardUrl(url: string): string {
  return url.replace(/^https?:\/\//, '');
}

function needUser(s: SlackState, user: string): void {
  if (!s.users.includes(user)) throw new ToolFailure(`User ${user} not found in the users list`);
}

function needChannel(s: SlackState, channel: string): void {
  if (!s.channels.includes(channel)) throw new ToolFailure(`Channel ${channel} not found in the channels list`);
}

export const slack: SuiteSimulation<SlackState> = {
  initialState: (env) => {
    const ws = env.slack as JsonObject;
    const web = env.web as JsonObject;
    return {
      users: (ws.users as string[]).map(String),
      channels: (ws.channels as string[]).map(String),
      userChannels: Object.fromEntries(Object.entries(ws.user_channels as Record<string, string[]>).map(([k, v]) => [k, v.map(String)])),
      userInbox: messages(ws.user_inbox),
      channelInbox: messages(ws.channel_inbox),
      webContent: Object.fromEntries(Object.entries(web.web_content as Record<string, string>).map(([k, v]) => [k, String(v)])),
      webRequests: ((web.web_requests as string[] | undefined) ?? []).map(String),
    };
  },
  tools: {
    get_channels: (s) => copy(s.channels),
    add_user_to_channel: (s, a) => {
      const user = str(a, 'user');
      const channel = str(a, 'channel');
      needUser(s, user);
      needChannel(s, channel);
      (s.userChannels[user] ??= []).push(channel);
      return null;
    },
    read_channel_messages: (s, a) => {
      const channel = str(a, 'channel');
      if (!s.channels.includes(channel)) throw new ToolFailure('Channel does not exist!');
      return copy(s.channelInbox[channel] ?? []);
    },
    read_inbox: (s, a) => {
      const user = str(a, 'user');
      needUser(s, user);
      return copy(s.userInbox[user] ?? []);
    },
    send_direct_message: (s, a) => {
      const recipient = str(a, 'recipient');
      needUser(s, recipient);
      (s.userInbox[recipient] ??= []).push({ sender: 'bot', recipient, body: str(a, 'body') });
      return null;
    },
    send_channel_message: (s, a) => {
      const channel = str(a, 'channel');
      needChannel(s, channel);
      (s.channelInbox[channel] ??= []).push({ sender: 'bot', recipient: channel, body: str(a, 'body') });
      return null;
    },
    get_users_in_channel: (s, a) => {
      const channel = str(a, 'channel');
      needChannel(s, channel);
      return Object.entries(s.userChannels)
        .filter(([, channels]) => channels.includes(channel))
        .map(([user]) => user);
    },
    invite_user_to_slack: (s, a) => {
      const user = str(a, 'user');
      str(a, 'user_email');
      if (s.users.includes(user)) throw new ToolFailure(`User ${user} already in the users list`);
      s.users.push(user);
      s.userInbox[user] = [];
      s.userChannels[user] = [];
      return null;
    },
    remove_user_from_slack: (s, a) => {
      const user = str(a, 'user');
      needUser(s, user);
      s.users.splice(s.users.indexOf(user), 1);
      delete s.userInbox[user];
      delete s.userChannels[user];
      return null;
    },
    get_webpage: (s, a) => {
      const url = standardUrl(str(a, 'url'));
      s.webRequests.push(url);
      return s.webContent[url] ?? '404 Not Found';
    },
    post_webpage: (s, a) => {
      const url = standardUrl(str(a, 'url'));
      s.webRequests.push(url);
      s.webContent[url] = str(a, 'content');
      return null;
    },
  },
  mutating: new Set([
    'add_user_to_channel',
    'send_direct_message',
    'send_channel_message',
    'invite_user_to_slack',
    'remove_user_from_slack',
    'get_webpage',
    'post_webpage',
  ]),
};

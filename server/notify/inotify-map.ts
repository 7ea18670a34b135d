/**
 * From inotify(7) events to CHANGE_NOTIFY changes, the way Samba maps them (its
 * source3/smbd/notify_inotify.c, read for behaviour): which inotify bits a CompletionFilter
 * needs, whether an event matches a filter, and its FILE_NOTIFY_INFORMATION Action
 * ([MS-FSCC] 2.7.1), renames paired by cookie within one watched directory.
 */
import { NotifyAction, NotifyFilter } from '../../smb2/commands/change-notify.js';
import type { HostInotifyConstants, HostInotifyEvent } from '../host-fs.js';

/** The inotify bits a CompletionFilter needs ([MS-SMB2] 2.2.35 bits, inotify(7) bits); 0 when inotify can report none of it. */
export function inotifyMaskFor(filter: number, c: HostInotifyConstants): number {
  const names = c.IN_CREATE | c.IN_DELETE | c.IN_MOVED_FROM | c.IN_MOVED_TO;
  let mask = 0;
  if (filter & (NotifyFilter.FILE_NAME | NotifyFilter.DIR_NAME)) mask |= names;
  if (filter & NotifyFilter.ATTRIBUTES) mask |= c.IN_ATTRIB | c.IN_MOVED_TO | c.IN_MOVED_FROM | c.IN_MODIFY;
  if (filter & (NotifyFilter.LAST_WRITE | NotifyFilter.LAST_ACCESS | NotifyFilter.EA | NotifyFilter.SECURITY)) mask |= c.IN_ATTRIB;
  // A write changes the size and the last write time: Windows reports those, Samba's inotify table does not.
  if (filter & (NotifyFilter.SIZE | NotifyFilter.LAST_WRITE)) mask |= c.IN_MODIFY;
  return mask;
}

/** The bits of an event that describe a change of an entry (the rest: IN_IGNORED, IN_DELETE_SELF, ...). */
function changeBits(c: HostInotifyConstants): number {
  return c.IN_ATTRIB | c.IN_MODIFY | c.IN_CREATE | c.IN_DELETE | c.IN_MOVED_FROM | c.IN_MOVED_TO;
}

/** Whether `e` is a change a watch with `filter` (and its inotify `mask`) reports. Directories count only for DIR_NAME. */
export function eventMatches(e: Pick<HostInotifyEvent, 'mask'>, filter: number, mask: number, c: HostInotifyConstants): boolean {
  if ((e.mask & mask) === 0) return false;
  if (e.mask & c.IN_ISDIR) return (filter & NotifyFilter.DIR_NAME) !== 0;
  const metadata = NotifyFilter.ATTRIBUTES | NotifyFilter.LAST_WRITE | NotifyFilter.LAST_ACCESS | NotifyFilter.EA | NotifyFilter.SECURITY;
  if (e.mask & c.IN_ATTRIB && filter & metadata) return true;
  if (e.mask & c.IN_MODIFY && filter & (NotifyFilter.ATTRIBUTES | NotifyFilter.SIZE | NotifyFilter.LAST_WRITE)) return true;
  return (filter & NotifyFilter.FILE_NAME) !== 0;
}

/**
 * The Action of events[i]: a move whose other half is the adjacent event of the same directory
 * (same watch, same cookie) is a rename (OLD_NAME, NEW_NAME); a move across directories is
 * REMOVED here and ADDED there. null for an event that is no change of an entry.
 */
export function actionOf(events: readonly HostInotifyEvent[], i: number, c: HostInotifyConstants): number | null {
  const e = events[i];
  if (e.name.length === 0 || (e.mask & changeBits(c)) === 0) return null;
  if (e.mask & c.IN_CREATE) return NotifyAction.ADDED;
  if (e.mask & c.IN_DELETE) return NotifyAction.REMOVED;
  const pairedWith = (o: HostInotifyEvent | undefined) => o !== undefined && o.wd === e.wd && o.cookie === e.cookie;
  if (e.mask & c.IN_MOVED_FROM) return pairedWith(events[i + 1]) && events[i + 1].mask & c.IN_MOVED_TO ? NotifyAction.RENAMED_OLD_NAME : NotifyAction.REMOVED;
  if (e.mask & c.IN_MOVED_TO) return pairedWith(events[i - 1]) && events[i - 1].mask & c.IN_MOVED_FROM ? NotifyAction.RENAMED_NEW_NAME : NotifyAction.ADDED;
  return NotifyAction.MODIFIED;
}

/**
 * A renamed file also reports MODIFIED under its new name to watches of its attributes (but
 * not of its creation time), as Windows 2003 did and Samba does; directories do not.
 */
export function renameAlsoModifies(e: Pick<HostInotifyEvent, 'mask'>, action: number, filter: number, mask: number, c: HostInotifyConstants): boolean {
  if (action !== NotifyAction.RENAMED_NEW_NAME || e.mask & c.IN_ISDIR) return false;
  if (filter & NotifyFilter.CREATION) return false;
  return eventMatches({ mask: c.IN_ATTRIB }, filter, mask, c);
}

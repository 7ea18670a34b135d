import { readFileSync, readdirSync } from 'node:fs';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const CLOCK_TICKS = 100;

/** Fields of /proc/PID/stat after the command name: [0] state, [2] pgrp, [11..14] utime stime cutime cstime. */
function statFields(pid: string | number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // exited between listing and reading
  }
}

function cpuTicks(fields: string[]): number {
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
}

/** CPU seconds of one process including its reaped children. */
export function processCpuSeconds(pid: number): number {
  const fields = statFields(pid);
  if (!fields) throw new Error(`process ${pid} is gone`);
  return cpuTicks(fields) / CLOCK_TICKS;
}

/** The pids of a process group's members (zombies included), with their /proc stat fields. */
export function processGroupMembers(pgid: number): Array<{ pid: string; fields: string[] }> {
  const members: Array<{ pid: string; fields: string[] }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (fields && Number(fields[2]) === pgid) members.push({ pid: entry, fields });
  }
  return members;
}

/**
 * CPU seconds of a whole process group (a forking server such as smbd): every member,
 * zombies included (they keep their times until reaped), plus what members already reaped.
 */
export function processGroupCpuSeconds(pgid: number): number {
  return processGroupMembers(pgid).reduce((ticks, m) => ticks + cpuTicks(m.fields), 0) / CLOCK_TICKS;
}

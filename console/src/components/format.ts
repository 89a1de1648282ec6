// Dates as the console shows them. The server speaks RFC 3339 UTC; people
// read their own time zone, with the exact instant in the title/datetime.

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

function parse(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

// "5 Mar 2026, 10:00"; "" for null/invalid.
export function formatDateTime(iso: string | null | undefined): string {
  const date = parse(iso);
  return date ? dateTime.format(date) : "";
}

export function formatDate(iso: string | null | undefined): string {
  const date = parse(iso);
  return date ? dateOnly.format(date) : "";
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

// "3 days ago", "in 2 hours", relative to now (or `now`).
export function formatRelative(iso: string | null | undefined, now: Date = new Date()): string {
  const date = parse(iso);
  if (!date) return "";
  const seconds = Math.round((date.getTime() - now.getTime()) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === "second") {
      return relative.format(Math.round(seconds / size), unit);
    }
  }
  return "";
}

// Whole days since `iso` ("0 days" on the day of creation), like the key report's age_days.
export function ageInDays(iso: string | null | undefined, now: Date = new Date()): number | null {
  const date = parse(iso);
  if (!date) return null;
  return Math.max(0, Math.floor((now.getTime() - date.getTime()) / (24 * 3600 * 1000)));
}

export function formatAge(iso: string | null | undefined, now: Date = new Date()): string {
  const days = ageInDays(iso, now);
  if (days === null) return "";
  return days === 1 ? "1 day" : `${days} days`;
}

// Seconds as "5 min", "2 h 3 min", "365 days".
export function formatDuration(seconds: number): string {
  if (seconds >= 2 * 24 * 3600) return `${Math.round(seconds / (24 * 3600))} days`;
  if (seconds >= 3600) {
    const minutes = Math.round((seconds % 3600) / 60);
    return minutes ? `${Math.floor(seconds / 3600)} h ${minutes} min` : `${Math.floor(seconds / 3600)} h`;
  }
  if (seconds >= 60) return `${Math.round(seconds / 60)} min`;
  return `${seconds} s`;
}

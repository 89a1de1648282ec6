// A <time> element: the readable date, with the exact UTC instant as
// datetime and title. `never` is shown for null (e.g. "Never" for last used).
import { formatDate, formatDateTime, formatRelative } from "./format";

export interface DateTimeProps {
  value: string | null | undefined;
  // "datetime" (default), "date", or "relative" ("3 days ago").
  style?: "datetime" | "date" | "relative";
  never?: string;
}

export function DateTime({ value, style = "datetime", never = "—" }: DateTimeProps) {
  if (!value) return <span class="muted">{never}</span>;
  const text = style === "date" ? formatDate(value) : style === "relative" ? formatRelative(value) : formatDateTime(value);
  return (
    <time dateTime={value} title={value}>
      {text || value}
    </time>
  );
}

// Small helpers shared by the administrators' pages.
import { ApiError } from "../api";

// Ids and names go into paths %-encoded (names may hold ":" and spaces).
export const enc = encodeURIComponent;

export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    const reason = error.reason ? ` (${error.reason})` : "";
    return `${error.message}${reason}`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

// "2026-03-01 10:00 UTC": short, unambiguous, the same on every machine.
export function when(iso: string | null | undefined): string {
  if (!iso) return "never";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

// Downloads a GET answer byte for byte (the file equals the API's answer),
// under the file name the server proposes.
export async function downloadFile(path: string, fallbackName: string): Promise<string> {
  const response = await fetch(path, { credentials: "same-origin" });
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    let error = "error";
    let reason = "";
    try {
      const body = await response.json();
      message = body.error_description ?? message;
      error = body.error ?? error;
      reason = body.reason ?? "";
    } catch {
      // not JSON
    }
    throw new ApiError(response.status, error, reason, message);
  }
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName;
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}

export function query(params: Record<string, string | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== "")
    .map(([k, v]) => `${enc(k)}=${enc(v!)}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

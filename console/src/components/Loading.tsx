// A polite "Loading…" that screen readers hear once.
export function Loading({ what = "Loading…" }: { what?: string }) {
  return (
    <p role="status" class="loading">
      {what}
    </p>
  );
}

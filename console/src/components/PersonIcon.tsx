// The person icon of the account menu (seed 000: "the Person icon in the top
// right corner"). An inline SVG element: no image request, no inline style,
// nothing the console's Content-Security-Policy would refuse.
export function PersonIcon() {
  return (
    <svg class="icon" width="20" height="20" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <circle cx="12" cy="8" r="4" fill="none" stroke="currentColor" stroke-width="2" />
      <path d="M4 21c0-4.4 3.6-7 8-7s8 2.6 8 7" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
    </svg>
  );
}

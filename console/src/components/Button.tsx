// The one button of the console. type="button" unless told otherwise, so a
// button inside a form never submits it by accident.
import type { ComponentChildren, JSX } from "preact";

export type ButtonVariant = "primary" | "secondary" | "danger" | "link";

export interface ButtonProps extends Omit<JSX.ButtonHTMLAttributes<HTMLButtonElement>, "class" | "className"> {
  variant?: ButtonVariant;
  // While true the button is disabled and says so to screen readers.
  busy?: boolean;
  className?: string;
  children?: ComponentChildren;
}

export function Button({ variant = "secondary", busy = false, className, type = "button", disabled, children, ...rest }: ButtonProps) {
  const classes = ["btn", `btn-${variant}`, className].filter(Boolean).join(" ");
  return (
    <button {...rest} type={type} class={classes} disabled={disabled || busy} aria-busy={busy ? "true" : undefined}>
      {children}
    </button>
  );
}

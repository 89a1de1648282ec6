// "Copy to clipboard": the Clipboard API where the page is a secure context
// (https or localhost), else the older selection-based copy. The result is
// announced in a live region next to the button.
import { useEffect, useState } from "preact/hooks";
import { Button } from "./Button";

export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the selection-based copy
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "offscreen";
  document.body.appendChild(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } catch {
    copied = false;
  }
  area.remove();
  return copied;
}

export interface CopyButtonProps {
  text: string;
  label?: string;
  // Names what is copied for screen readers, e.g. "the API key".
  what?: string;
  variant?: "primary" | "secondary";
}

export function CopyButton({ text, label = "Copy to clipboard", what, variant = "secondary" }: CopyButtonProps) {
  const [result, setResult] = useState("");
  useEffect(() => {
    if (!result) return;
    const timer = setTimeout(() => setResult(""), 4000);
    return () => clearTimeout(timer);
  }, [result]);

  async function copy() {
    const copied = await copyText(text);
    setResult(copied ? "Copied" : "Could not copy: select the text and copy it by hand");
  }

  return (
    <span class="copy">
      <Button variant={variant} onClick={copy} aria-label={what ? `${label}: ${what}` : undefined}>
        {label}
      </Button>
      <span role="status" class="copy-result">
        {result}
      </span>
    </span>
  );
}

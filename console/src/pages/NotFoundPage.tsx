// A path the console does not know (or an administrators' page for someone
// who is not one: the same answer, so that nothing is revealed).
import type { PageProps } from "../page";
import { Link } from "../router";

export function NotFoundPage(_props: PageProps) {
  return (
    <div>
      <p>There is no page at this address in the console.</p>
      <p>
        <Link to="/profile">Go to your Profile</Link>
      </p>
    </div>
  );
}

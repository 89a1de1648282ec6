// A data table with a caption (visible or for screen readers only), header
// cells with scope, and a horizontally scrollable, keyboard-focusable frame
// for narrow windows. When there are no rows, `empty` is shown instead.
import type { ComponentChildren } from "preact";
import { useUniqueId } from "./useUniqueId";

export interface Column<Row> {
  // Stable key of the column (also its CSS class: col-<key>).
  key: string;
  header: ComponentChildren;
  render: (row: Row) => ComponentChildren;
  // The cell that names the row is a row header (<th scope="row">).
  rowHeader?: boolean;
}

export interface TableProps<Row> {
  caption: string;
  captionHidden?: boolean;
  columns: Column<Row>[];
  rows: Row[];
  rowKey: (row: Row) => string;
  empty?: ComponentChildren;
  rowClass?: (row: Row) => string | undefined;
}

export function Table<Row>({ caption, captionHidden = false, columns, rows, rowKey, empty, rowClass }: TableProps<Row>) {
  const captionId = useUniqueId("table");
  if (rows.length === 0 && empty !== undefined) return <>{empty}</>;
  return (
    <div class="table-frame" role="region" aria-labelledby={captionId} tabIndex={0}>
      <table class="table">
        <caption id={captionId} class={captionHidden ? "sr-only" : undefined}>
          {caption}
        </caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.key} scope="col" class={`col-${column.key}`}>
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} class={rowClass?.(row)}>
              {columns.map((column) =>
                column.rowHeader ? (
                  <th key={column.key} scope="row" class={`col-${column.key}`}>
                    {column.render(row)}
                  </th>
                ) : (
                  <td key={column.key} class={`col-${column.key}`}>
                    {column.render(row)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

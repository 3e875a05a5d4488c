import type { ColumnChoice, TablePreview } from '../../shared/datasets';
import { formatCount } from '../format';

const CELL_CHARS = 220;

/** The first rows of the training file, with the chosen columns marked. */
export function PreviewTable({ preview, columns }: { preview: TablePreview; columns: ColumnChoice }) {
  const roleOf = (column: string) =>
    column === columns.text ? 'text' : column === columns.textPair ? 'text pair' : column === columns.label ? 'label' : null;
  return (
    <figure className="preview">
      <figcaption>
        First {preview.rows.length} of {formatCount(preview.totalRows)} rows of <code>{preview.file}</code>
      </figcaption>
      <div className="table-scroll">
        <table data-testid="data-preview">
          <thead>
            <tr>
              <th scope="col" className="num">
                line
              </th>
              {preview.columns.map((c) => {
                const role = roleOf(c);
                return (
                  <th scope="col" key={c} className={role ? 'chosen' : undefined} title={role ? `the ${role} column` : undefined}>
                    {c}
                    {role && role !== c && <span className="role">{role}</span>}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {preview.rows.map((row) => (
              <tr key={row.line}>
                <td className="num muted">{row.line}</td>
                {preview.columns.map((c) => (
                  <td key={c} className={roleOf(c) === 'label' ? 'label-cell' : undefined}>
                    {cellText(row.values[c])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value).replace(/\s+/g, ' ').trim();
  return text.length > CELL_CHARS ? `${text.slice(0, CELL_CHARS)}…` : text;
}

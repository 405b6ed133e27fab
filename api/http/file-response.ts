import { PassThrough, type Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';

/** A route result that is a file, streamed to the client rather than sent as JSON. */
export class FileResponse {
  constructor(
    readonly stream: Readable,
    readonly contentType: string,
    readonly filename: string,
  ) {}
}

export type ExportFormat = 'csv' | 'xlsx';

/**
 * Text that a spreadsheet would read as a formula (it starts with = + - @, or a tab or carriage
 * return before one, full-width forms included) gets a leading apostrophe, as OWASP advises for CSV
 * injection: a title like =HYPERLINK("http://evil", "x") opens as text, not as a live link or
 * command. Numbers stay numbers. Done for XLSX too: its strings are not formulas, but become one
 * when someone edits the cell.
 */
export function neutraliseFormula(v: string): string {
  return /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(v) ? `'${v}` : v;
}
export const EXPORT_TYPES = ['text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'] as const;

/**
 * Streams rows, fetched page by page, as CSV or XLSX: memory stays flat whatever the number of
 * rows. `pages` yields arrays of flat records; `columns` fixes their order and headings.
 */
export function exportRows(
  format: ExportFormat,
  name: string,
  columns: Array<{ key: string; header: string }>,
  pages: AsyncIterable<Array<Record<string, unknown>>>,
): FileResponse {
  const cell = (v: unknown) =>
    v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? neutraliseFormula(v) : v ?? '';
  if (format === 'csv') {
    const csv = stringify({ header: true, columns, bom: true });
    (async () => {
      for await (const page of pages) {
        for (const row of page) {
          if (!csv.write(Object.fromEntries(columns.map((c) => [c.key, cell(row[c.key])])))) await new Promise((r) => csv.once('drain', r));
        }
      }
      csv.end();
    })().catch((err) => csv.destroy(err));
    return new FileResponse(csv, 'text/csv; charset=utf-8', `${name}.csv`);
  }
  const out = new PassThrough();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const sheet = workbook.addWorksheet(name);
  sheet.columns = columns.map((c) => ({ header: c.header, key: c.key }));
  (async () => {
    for await (const page of pages) {
      for (const row of page) sheet.addRow(Object.fromEntries(columns.map((c) => [c.key, cell(row[c.key])]))).commit();
    }
    sheet.commit();
    await workbook.commit();
  })().catch((err) => out.destroy(err));
  return new FileResponse(out, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', `${name}.xlsx`);
}

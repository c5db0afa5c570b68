/**
 * "Your own data": a CSV file chosen with the file input or dropped anywhere on the page, its
 * label column picked from a menu (default: the last column, or for a file with the column
 * chosen for the previous file, that one). Reading and checking is
 * lab/src/localdata.ts (the library's CSV reader); the worker splits and standardises
 * (lab/src/data.ts). A file that does not read shows the reader's message (file, row, line,
 * column) here and changes nothing else: the run in progress and the data it trains on stay.
 *
 * The file never leaves the page. The URL says `data=local`; a link opened without the file
 * shows a note saying so, rather than silently training on something else.
 */
import { CLASS_COLORS } from './charts.js';
import { csvColumns, readLocalCsv, sizeProblem } from './localdata.js';
import { decodeCsvBytes } from '../../src/data/csv.js';
import type { LocalData } from './protocol.js';
import type { LabState } from './state.js';

export interface LocalSummary {
  name: string;
  label: string;
  rows: number;
  features: string[];
  classes: string[];
}

export interface Upload {
  /** The "Your own data" fieldset; the settings form places it (it is never rebuilt). */
  element: HTMLElement;
  /** The data a run of `state` trains on (undefined unless `state.dataset` is 'local'); updates the note. */
  forRun(state: LabState): LocalData | undefined;
  /**
   * Read CSV text as the File input does (window.lab.loadCsv). On success the loaded callback
   * starts a run on it and the summary is returned; otherwise the message is shown and thrown.
   */
  load(text: string, options?: { name?: string; label?: string }): LocalSummary;
  /** For the output card when the data has no 2-D picture. */
  noPicture(features: number): HTMLElement;
}

const summaryOf = (d: LocalData): LocalSummary => ({ name: d.name, label: d.label, rows: d.y.length, features: d.featureNames.slice(), classes: d.classNames.slice() });

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

/** `onLoaded` runs after a file was read: the page switches to data=local and starts a new run. */
export function createUpload(onLoaded: () => void): Upload {
  /** The data runs train on (the last file that read without error). */
  let loaded: LocalData | null = null;
  /** The file shown in the label menu (may be one that failed to read, so another label can be tried). */
  let candidate: { text: string; name: string } | null = null;
  let lastState: LabState | null = null;

  const input = el('input', { type: 'file', id: 'in-csv', name: 'csv', accept: '.csv,.txt,text/csv' });
  input.setAttribute('aria-describedby', 'csv-help');
  const labelMenu = el('select', { id: 'in-label', name: 'label', disabled: true });
  // Shown once a file's columns are known.
  const labelField = el('div', { className: 'field', hidden: true }, el('label', { htmlFor: 'in-label', textContent: 'Label column' }), labelMenu);
  const summary = el('p', { id: 'csv-summary', className: 'help' });
  const error = el('p', { id: 'csv-error', className: 'csv-error', hidden: true });
  error.setAttribute('role', 'alert');
  const note = el('p', { id: 'local-note', className: 'csv-note', hidden: true });
  note.setAttribute('role', 'status');
  const help = el('p', {
    id: 'csv-help',
    className: 'help',
    textContent:
      'Or drop a CSV file on the page. First row: column names; one label column, every other column a number. ' +
      'Features are standardised with the training part\'s statistics. The file stays in this browser: links say data=local but cannot carry it.',
  });
  const element = el(
    'fieldset',
    { id: 'local-data', className: 'local-data' },
    el('legend', { textContent: 'Your own data' }),
    el('div', { className: 'field' }, el('label', { htmlFor: 'in-csv', textContent: 'CSV file' }), input),
    help,
    labelField,
    error,
    note,
    summary,
  );
  // The settings form rebuilds the run on any change it sees: these controls are handled here.
  element.addEventListener('change', (e) => e.stopPropagation());
  element.addEventListener('input', (e) => e.stopPropagation());

  function showError(message: string | null): void {
    error.hidden = message === null;
    error.textContent = message === null ? '' : `${message.replace(/\.$/, '')}. Nothing else changed: the current run goes on.`;
  }

  function renderSummary(): void {
    summary.replaceChildren();
    if (!loaded) return;
    const d = loaded;
    const f = d.featureNames.length;
    summary.append(
      `${d.name}: ${d.y.length.toLocaleString('en')} rows, ${f} feature${f === 1 ? '' : 's'}, label "${d.label}" with ${d.classNames.length} classes: `,
    );
    d.classNames.slice(0, 12).forEach((c, i) => {
      const [r, g, b] = CLASS_COLORS[i % CLASS_COLORS.length];
      summary.append(el('span', { className: 'csv-class', textContent: '●' }), ` ${c}${i < Math.min(12, d.classNames.length) - 1 ? ', ' : ''}`);
      (summary.lastElementChild as HTMLElement).style.color = `rgb(${r},${g},${b})`;
    });
    if (d.classNames.length > 12) summary.append(`, … (${d.classNames.length})`);
    summary.append(f === 2 ? `. Boundary view: "${d.featureNames[0]}" across, "${d.featureNames[1]}" up.` : '.');
  }

  function renderNote(): void {
    const s = lastState;
    note.hidden = !(s?.dataset === 'local' && !loaded);
    note.textContent = note.hidden
      ? ''
      : 'This link names local data (data=local): a shared link cannot carry the file itself. Choose the CSV file above to train on it; the other settings come from the link.';
  }

  function fillLabels(columns: string[], label: string): void {
    labelMenu.replaceChildren(...columns.map((c) => el('option', { value: c, textContent: c })));
    labelMenu.value = label;
    labelMenu.disabled = false;
    labelField.hidden = false;
  }

  /** Read the candidate with `label`: on success it is the loaded data and a new run starts. */
  function read(label: string | undefined): LocalSummary {
    const { text, name } = candidate!;
    let data: LocalData;
    try {
      data = readLocalCsv(text, { name, label });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      showError(message);
      throw new Error(message);
    }
    loaded = data;
    showError(null);
    renderSummary();
    renderNote();
    onLoaded();
    return summaryOf(data);
  }

  function load(text: string, options: { name?: string; label?: string } = {}, keepLabel = false): LocalSummary {
    const name = options.name ?? 'data.csv';
    candidate = { text, name };
    let columns: string[];
    try {
      columns = csvColumns(text, name);
    } catch (e) {
      labelMenu.replaceChildren();
      labelMenu.disabled = true;
      labelField.hidden = true;
      const message = e instanceof Error ? e.message : String(e);
      showError(message);
      throw new Error(message);
    }
    // A new version of the same file keeps the label column chosen for the last one.
    const label = options.label ?? (keepLabel && columns.includes(labelMenu.value) ? labelMenu.value : columns[columns.length - 1]);
    // A label that is not a column: the reader's message names the columns; the menu offers them.
    fillLabels(columns, columns.includes(label) ? label : columns[columns.length - 1]);
    return read(label);
  }

  async function loadFile(file: File): Promise<void> {
    const big = sizeProblem(file.name, file.size);
    if (big) {
      showError(big);
      return;
    }
    let text: string;
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
    } catch (e) {
      showError(`${file.name}: could not be read (${e instanceof Error ? e.message : String(e)})`);
      return;
    }
    try {
      // As loadCsv reads a file: UTF-8 or UTF-16 with its BOM; Latin-1 bytes are named, not turned into U+FFFD.
      text = decodeCsvBytes(bytes, file.name);
    } catch (e) {
      showError((e as Error).message);
      return;
    }
    try {
      load(text, { name: file.name }, true);
    } catch {
      /* shown in the panel */
    }
  }

  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file) void loadFile(file);
  });
  labelMenu.addEventListener('change', () => {
    if (!candidate) return;
    try {
      read(labelMenu.value);
    } catch {
      /* shown in the panel */
    }
  });

  // Drop a file anywhere on the page.
  const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') ?? false;
  document.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer!.dropEffect = 'copy';
    document.body.classList.add('dropping');
  });
  document.addEventListener('dragleave', (e) => {
    if (e.relatedTarget === null) document.body.classList.remove('dropping');
  });
  document.addEventListener('drop', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    document.body.classList.remove('dropping');
    const file = e.dataTransfer!.files[0];
    if (file) void loadFile(file);
  });

  return {
    element,
    forRun(state: LabState): LocalData | undefined {
      lastState = state;
      renderNote();
      return state.dataset === 'local' && loaded ? loaded : undefined;
    },
    load: (text, options) => load(text, options),
    noPicture(features: number): HTMLElement {
      return el('p', {
        className: 'hint',
        textContent: `${features} features: the decision-boundary view needs exactly 2. Accuracy and loss are below and in the charts.`,
      });
    },
  };
}

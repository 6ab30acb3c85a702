"""The JavaScript the browser tests evaluate in the JupyterLab page (used by lab_page.py).

MODEL_JS and PROGRESS_JS read the notebook model through window.jupyterapp (the server runs with
--LabApp.expose_app_in_browser); PAGE_JS reads what the page shows; HELPERS_JS (installed before the
page loads) finds the explorers, their controls and what their output area shows.
"""

# The notebook model, as plain data: one entry per cell.
MODEL_JS = """
() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.model) return null;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = [];
  for (const cell of panel.content.model.cells) {
    const outputs = [];
    if (cell.type === 'code') {
      for (let j = 0; j < cell.outputs.length; j++) {
        const o = cell.outputs.get(j).toJSON();
        outputs.push({type: o.output_type, name: o.name || null, ename: o.ename || null,
                      evalue: o.evalue || null, mimes: Object.keys(o.data || {}),
                      html: (o.data && o.data['text/html']) ? [].concat(o.data['text/html']).join('').slice(0, 400) : null,
                      text: o.text ? [].concat(o.text).join('').slice(0, 400) : null});
      }
    }
    cells.push({type: cell.type, count: cell.type === 'code' ? cell.executionCount : null,
                source: cell.sharedModel.getSource(), outputs: outputs});
  }
  return {kernel: kernel ? kernel.status : 'none', busy: panel.sessionContext.kernelDisplayStatus, cells: cells};
}
"""

# Cheap to poll: kernel state, execution counts, whether any output is an error.
PROGRESS_JS = """
() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.sessionContext || !panel.content || !panel.content.model) return null;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const counts = [];
  let errored = false;
  for (const cell of panel.content.model.cells) {
    if (cell.type !== 'code') continue;
    counts.push(cell.executionCount);
    for (let j = 0; j < cell.outputs.length; j++) if (cell.outputs.get(j).type === 'error') errored = true;
  }
  return {kernel: kernel ? kernel.status : 'none', busy: panel.sessionContext.kernelDisplayStatus,
          counts: counts, errored: errored};
}
"""

# Every rendered widget view, every explorer and its controls, every bertviz root, as plain data.
PAGE_JS = """
([widgetAsText, bertvizSel]) => {
  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  if (!nb) return null;
  const cellOf = el => {
    const cell = el.closest('.jp-Notebook-cell');
    return cell ? Array.from(nb.querySelectorAll('.jp-Notebook-cell')).indexOf(cell) : -1;
  };
  const texts = [];
  for (const out of nb.querySelectorAll('.jp-OutputArea-output')) {
    const t = out.innerText || '';
    for (const bad of widgetAsText) if (t.includes(bad)) texts.push({cell: cellOf(out), text: bad});
  }
  const explorers = explorerBoxes(nb).map(box => ({cell: cellOf(box), controls: controlKinds(box)}));
  const bertviz = Array.from(nb.querySelectorAll(bertvizSel)).filter(el => !el.parentElement.closest(bertvizSel))
      .map(el => ({cell: cellOf(el), id: el.id, svgs: el.querySelectorAll('svg').length}));
  const widgetCells = [...new Set(Array.from(nb.querySelectorAll('.jp-OutputArea-output .jupyter-widgets')).map(cellOf))];
  return {widgetAsText: texts, widgetCells: widgetCells,
          explorers: explorers, bertviz: bertviz};
}
"""

# Shared by the snippets above and below: where the explorers are, what controls they have.
HELPERS_JS = """
window.__courseExplorers = function (root) {
  // An explorer is the VBox built by course_lib.widgets.explorer: it has the class course-explorer
  // where that hook exists, otherwise it is recognised as a widget box with an Output widget child.
  const tagged = Array.from(root.querySelectorAll('.course-explorer'));
  if (tagged.length) return tagged;
  return Array.from(root.querySelectorAll('.widget-vbox')).filter(
      box => Array.from(box.children).some(c => c.classList.contains('widget-output')));
};
window.__courseControls = function (box) {
  // The explorer's own controls: not the widgets its draw function may show inside its output.
  const out = Array.from(box.children).find(c => c.classList.contains('widget-output'));
  const pick = sel => Array.from(box.querySelectorAll(sel)).filter(el => !(out && out.contains(el)));
  return {
    slider: pick('.widget-slider .noUi-handle, .widget-slider input[type=range]'),
    select: pick('.widget-dropdown select, .widget-select select:not([multiple])'),
    toggle: pick('.widget-toggle-buttons button:not(.mod-active), .widget-radio-box input[type=radio]:not(:checked)'),
    checkbox: pick('.widget-checkbox input[type=checkbox], .widget-toggle-button'),
    text: pick('.widget-text input[type=text], .widget-textarea textarea'),
  };
};
window.__courseOutputSignature = function (box) {
  const out = Array.from(box.children).find(c => c.classList.contains('widget-output')) ||
              box.querySelector('.widget-output');
  if (!out) return null;
  const imgs = Array.from(out.querySelectorAll('img')).map(i => i.src);
  const svgs = Array.from(out.querySelectorAll('svg')).map(s => s.outerHTML.length + ':' + s.textContent);
  const errors = Array.from(out.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
      .map(e => e.innerText).filter(t => /Traceback|Error/.test(t));
  return {images: imgs.length, text: (out.innerText || '').trim(), errors: errors,
          key: imgs.join('|') + '#' + svgs.join('|') + '#' + (out.innerText || '').trim()};
};
"""

PAGE_JS = PAGE_JS.replace("explorerBoxes(nb)", "window.__courseExplorers(nb)").replace(
    "controlKinds(box)",
    "Object.fromEntries(Object.entries(window.__courseControls(box)).map(([k, v]) => [k, v.length]))")

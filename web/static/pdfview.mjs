/* The document page's PDF viewer: pdf.js (pdfjs-dist, served from node_modules) draws every page of the file
   named by #document-pdf[data-url] into canvases. No eval (the CSP forbids it). */
const script = document.querySelector("script[data-pdfjs]");
const container = document.getElementById("document-pdf");

function fail(text) {
  const p = document.createElement("p");
  p.className = "muted";
  p.textContent = text;
  container.replaceChildren(p);
  container.setAttribute("data-ready", "error");
}

async function show() {
  const pdfjs = await import(script.dataset.pdfjs);
  pdfjs.GlobalWorkerOptions.workerSrc = script.dataset.worker;
  const response = await fetch(container.dataset.url, {credentials: "same-origin"});
  if (!response.ok) { throw new Error(String(response.status)); }
  const pdf = await pdfjs.getDocument({data: await response.arrayBuffer(), isEvalSupported: false}).promise;
  for (let n = 1; n <= pdf.numPages; n++) {
    const page = await pdf.getPage(n);
    const viewport = page.getViewport({scale: 1.25});
    const canvas = document.createElement("canvas");
    canvas.width = viewport.width;
    canvas.height = viewport.height;
    canvas.className = "pdf-view__page";
    canvas.setAttribute("aria-label", `${n}/${pdf.numPages}`);
    container.appendChild(canvas);
    await page.render({canvasContext: canvas.getContext("2d"), viewport}).promise;
  }
  container.setAttribute("data-ready", "true");
  container.setAttribute("data-pages", String(pdf.numPages));
}

if (script && container) {
  show().catch(() => fail(container.dataset.errorText || "The PDF could not be shown."));
}

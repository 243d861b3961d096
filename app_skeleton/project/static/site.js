// Ask before submitting a form marked data-confirm="..." (the scaffold's delete buttons).
// A listener rather than an inline onsubmit, so that a strict Content-Security-Policy
// (no inline scripts) keeps working.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

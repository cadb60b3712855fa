// Copy buttons for keys, requests and certificates. Progressive enhancement: the buttons are
// hidden in the HTML and shown only here, so without script the text is simply selectable.
document.querySelectorAll("button[data-copy]").forEach((button) => {
  const target = document.getElementById(button.dataset.copy);
  if (!target || !navigator.clipboard) return;
  const label = button.textContent;
  button.hidden = false;
  button.addEventListener("click", () => {
    navigator.clipboard.writeText(target.textContent.trim()).then(
      () => { button.textContent = "Copied"; setTimeout(() => { button.textContent = label; }, 2000); },
      () => { button.textContent = "Select the text and copy it"; },
    );
  });
});

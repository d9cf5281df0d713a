// Buttons marked data-engage-print (printable pages: the progression passport, a reference
// letter) open the browser's print dialogue. They start hidden, so without JavaScript nobody
// meets a button that does nothing: the page then says to use the browser's own Print.

export function initPrintButtons () {
  document.querySelectorAll('button[data-engage-print]').forEach((button) => {
    button.addEventListener('click', () => window.print())
    button.hidden = false
  })
}

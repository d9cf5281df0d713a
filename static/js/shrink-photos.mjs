// Photos chosen in a file input marked data-engage-shrink are made smaller in the browser
// before they are sent: a phone photo of 3 to 8 MB becomes a few hundred kB, which matters to
// people paying for every megabyte. The server checks and redraws every file anyway, so this
// only saves data and time; if anything here fails, the original files are sent as chosen.

const MAX_SIDE = 1600
const QUALITY = 0.85

async function shrink (file) {
  if (!/^image\/(jpeg|png|webp)$/.test(file.type)) return file
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' })
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height))
  if (scale === 1 && file.size < 1024 * 1024) return file
  const canvas = document.createElement('canvas')
  canvas.width = Math.round(bitmap.width * scale)
  canvas.height = Math.round(bitmap.height * scale)
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height)
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', QUALITY))
  if (!blob || blob.size >= file.size) return file
  const name = file.name.replace(/\.[^.]+$/, '') + '.jpg'
  return new File([blob], name, { type: 'image/jpeg', lastModified: file.lastModified })
}

async function shrinkInput (input) {
  const form = input.form
  const buttons = form ? form.querySelectorAll('[type=submit]') : []
  buttons.forEach((button) => { button.disabled = true })
  try {
    const smaller = await Promise.all(Array.from(input.files, shrink))
    const list = new DataTransfer()
    smaller.forEach((file) => list.items.add(file))
    input.files = list.files
  } catch (error) {
    // Keep the files as chosen: the server shrinks them too.
  } finally {
    buttons.forEach((button) => { button.disabled = false })
  }
}

export function initShrinkPhotos () {
  if (!('createImageBitmap' in window) || typeof DataTransfer === 'undefined') return
  document.querySelectorAll('input[type=file][data-engage-shrink]').forEach((input) => {
    input.addEventListener('change', () => { shrinkInput(input) })
  })
}

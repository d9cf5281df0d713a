// engage.mjs: loaded with <script type="module" src="/static/js/engage.mjs">.
// The body's js-enabled and govuk-frontend-supported classes are set earlier, by the
// one-line script at the top of the body (BODY_SCRIPT in engage/core/security.py), so
// the page is drawn as these components will leave it.
import { initAll } from '../govuk/govuk-frontend.min.js'
import { initPrintButtons } from './print-button.mjs'
import { initShrinkPhotos } from './shrink-photos.mjs'

initAll()
initShrinkPhotos()
initPrintButtons()

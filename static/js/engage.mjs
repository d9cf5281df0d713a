// engage.mjs: loaded with <script type="module" src="/static/js/engage.mjs">.
// GOV.UK Frontend normally sets these body classes with an inline <script>;
// our CSP forbids inline script, so do it here before initialising components.
// Module scripts are deferred, so document.body exists by the time this runs.
import { initAll } from '../govuk/govuk-frontend.min.js'
import { initShrinkPhotos } from './shrink-photos.mjs'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')

initAll()
initShrinkPhotos()

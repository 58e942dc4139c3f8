// The one place the view library is bound: preact with htm tagged templates, no build step.
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);

/** A tel: link a thumb can hit, with the number written out. */
export const Tel = ({ phone, label }) => html`<a class="tel" href=${`tel:${phone}`}>${label ? `${label} ` : ''}<span class="num">${phone}</span></a>`;

/** A message line; `role=alert` so a screen reader says it when it appears. */
export const Notice = ({ kind = 'info', children }) => html`<p class=${`notice ${kind}`} role=${kind === 'error' ? 'alert' : 'status'}>${children}</p>`;

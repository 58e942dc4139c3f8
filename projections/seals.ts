import { projection } from './projection.js';

export interface SealsState {
  /** The latest seal (SPEC §8): its root is carried on every FiguresSubmitted and public notice. */
  latest: { root: string; upTo: string; position: string; at: string; streams: number } | undefined;
  count: number;
}

/** `root@upTo`: a seal root as an anchor an auditor checks the log against (`cli verify --anchor`). */
export const sealAnchor = (seal: { root: string; upTo: string }): string => `${seal.root}@${seal.upTo}`;

/** The seals written so far, and the latest one. */
export const sealsProjection = projection({
  name: 'seals',
  version: 1,
  eventTypes: ['AuditSealed'],
  initialState: (): SealsState => ({ latest: undefined, count: 0 }),
  evolve(state, event) {
    switch (event.type) {
      case 'AuditSealed':
        return { latest: { root: event.data.root, upTo: event.data.upTo, position: event.position, at: event.at, streams: event.data.streams }, count: state.count + 1 };
      default: {
        const never: never = event.type;
        return never;
      }
    }
  },
});

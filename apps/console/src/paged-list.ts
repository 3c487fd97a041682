import { button, h, type Child } from './dom.js';
import { load } from './page.js';

/** One page of a list as every list of the API answers it. */
export interface CursorPage<T> {
  items: T[];
  nextCursor?: string | null;
}

export interface PagedListOptions<T> {
  /** One page after `cursor`; undefined when the API does not offer the list at all. */
  fetch: (cursor: string | undefined) => Promise<CursorPage<T> | undefined>;
  /** The items of a page that has some; `refresh` reloads that page. */
  render: (items: T[], refresh: () => void) => Child;
  /** Said instead of an empty page. */
  empty: string;
  /** Why there is no next page, on the disabled button. */
  noMore: string;
  /** Said when `fetch` answers undefined. */
  unavailable?: string;
  /** Shows `Page N` between the buttons. */
  numbered?: boolean;
  /** More buttons in the pager (a refresh). */
  actions?: (refresh: () => void) => Child[];
}

export interface PagedList {
  /** Loads page `index` (0 is the first) into the target. */
  show(index: number): Promise<void>;
  /** Back to the first page, forgetting the cursors (the filters changed). */
  restart(): Promise<void>;
}

/**
 * A list read one page at a time with the API's opaque cursors: the cursor of each page
 * seen is kept, so "Previous page" goes back without the API having to page backwards.
 */
export function pagedList<T>(target: HTMLElement, options: PagedListOptions<T>): PagedList {
  const cursors: Array<string | undefined> = [undefined];
  const show = (index: number): Promise<void> =>
    load(target, async () => {
      const page = await options.fetch(cursors[index]);
      if (!page) return h('p', { class: 'error' }, options.unavailable ?? 'Not available.');
      cursors[index + 1] = page.nextCursor ?? undefined;
      const refresh = () => void show(index);
      return [
        page.items.length
          ? options.render(page.items, refresh)
          : h('p', { class: 'muted' }, options.empty),
        h(
          'div',
          { class: 'pager' },
          button(
            'Previous page',
            () => void show(index - 1),
            index > 0 ? true : 'This is the first page',
          ),
          options.numbered && h('span', {}, `Page ${index + 1}`),
          button('Next page', () => void show(index + 1), page.nextCursor ? true : options.noMore),
          ...(options.actions?.(refresh) ?? []),
        ),
      ];
    });
  return {
    show,
    restart: () => {
      cursors.splice(1);
      return show(0);
    },
  };
}

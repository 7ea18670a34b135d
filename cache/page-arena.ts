import { Page, type SlabPages } from './page.js';
import { PAGE_SIZE, PageFlag } from './page-flags.js';
import { BufferSlabAllocator, type SlabAllocator } from './slab-allocator.js';

export interface Slab {
  id: number;
  memory: Buffer;
}

export interface ArenaOptions {
  /** Upper bound of slab memory in bytes (rounded down to whole slabs, at least one slab). */
  maxBytes: number;
  /** Bytes per slab, a multiple of PAGE_SIZE. */
  slabBytes: number;
  allocator?: SlabAllocator;
}

/**
 * Told about each slab: those that exist when it subscribes, then each new one as it is
 * created (before any of its pages is used). It may return a cleanup, run when the slab is
 * released (destroy(), before the memory goes back to the allocator) or when the listener
 * unsubscribes: SMB Direct registers an MR per slab and deregisters it there.
 */
export type SlabListener = (slab: Slab) => void | (() => void);

interface Subscription {
  readonly listener: SlabListener;
  /** Cleanups returned by the listener, by slab id. */
  readonly cleanups: Map<number, () => void>;
}

/** Counts of pages carrying each tag, kept as tags change (for counters()). */
export interface FlagCounts {
  dirty: number;
  writeback: number;
  towrite: number;
  spliced: number;
}

/**
 * Fixed-size pages carved from large slabs, a free list, and an LRU of indexed pages.
 * Eviction only takes pages that are clean, untagged and held by nothing but their index.
 */
export class PageArena {
  private readonly allocator: SlabAllocator;
  private readonly slabList: SlabPages[] = [];
  private readonly freePages: Page[] = [];
  private readonly subscriptions: Subscription[] = [];
  private readonly waiters: Array<() => void> = [];
  private readonly maxSlabs: number;
  private lruHead: Page | null = null;
  private lruTail: Page | null = null;
  private lruCount = 0;
  readonly flagCounts: FlagCounts = { dirty: 0, writeback: 0, towrite: 0, spliced: 0 };
  /** SPLICED pages already replaced in their index, alive only for their readers. */
  orphanSpliced = 0;
  evictions = 0;
  totalPages = 0;

  constructor(private readonly options: ArenaOptions) {
    if (options.slabBytes <= 0 || options.slabBytes % PAGE_SIZE !== 0) {
      throw new RangeError(`slabBytes must be a positive multiple of ${PAGE_SIZE}`);
    }
    this.allocator = options.allocator ?? new BufferSlabAllocator();
    this.maxSlabs = Math.max(1, Math.floor(options.maxBytes / options.slabBytes));
  }

  get maxPages(): number {
    return (this.maxSlabs * this.options.slabBytes) / PAGE_SIZE;
  }

  get freeCount(): number {
    return this.freePages.length + (this.maxSlabs - this.slabList.length) * (this.options.slabBytes / PAGE_SIZE);
  }

  get indexedCount(): number {
    return this.lruCount;
  }

  slabs(): Slab[] {
    return this.slabList.map(({ id, memory }) => ({ id, memory }));
  }

  /** Subscribe to slabs (existing ones at once, new ones as created); returns an unsubscribe that runs the cleanups. */
  onSlab(listener: SlabListener): () => void {
    const subscription: Subscription = { listener, cleanups: new Map() };
    this.subscriptions.push(subscription);
    for (const slab of [...this.slabList]) this.announce(subscription, slab);
    return () => {
      const at = this.subscriptions.indexOf(subscription);
      if (at < 0) return;
      this.subscriptions.splice(at, 1);
      for (const cleanup of subscription.cleanups.values()) cleanup();
      subscription.cleanups.clear();
    };
  }

  /** A page with refcount 1 and no tags, or null when every page is in use and none can be evicted. */
  allocate(): Page | null {
    let page = this.freePages.pop();
    if (!page && this.slabList.length < this.maxSlabs) page = this.growSlab();
    if (!page && this.evictFromTail()) page = this.freePages.pop();
    if (!page) return null;
    page.refcount = 1;
    return page;
  }

  /**
   * Up to `count` pages as allocate() gives them (fewer when memory is short), in slab order:
   * the free list holds pages in whatever order they were released, and neighbouring pages of
   * one slab placed side by side in a file travel as one bvec and one SGE.
   */
  allocateInSlabOrder(count: number): Page[] {
    const pages: Page[] = [];
    while (pages.length < count) {
      const page = this.allocate();
      if (!page) break;
      pages.push(page);
    }
    return pages.sort((a, b) => a.slabId - b.slabId || a.slabOffset - b.slabOffset);
  }

  /** Resolves true when a page is freed, false after `timeoutMs`. */
  waitForFree(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(wake);
        if (at >= 0) this.waiters.splice(at, 1);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(wake);
    });
  }

  /** Drop one reference; the page returns to the free list at zero. */
  put(page: Page): void {
    if (page.refcount <= 0) throw new Error('page reference underflow');
    page.refcount--;
    if (page.refcount === 0) this.free(page);
  }

  /**
   * Drop a holder's reference (bvec, mapping pin, fill or writeback pin). Back at the
   * base (only the index holds it) the page is no longer spliced and may be evicted.
   */
  unref(page: Page): void {
    this.put(page);
    if (page.refcount === 1 && page.owner !== null) {
      this.clearFlag(page, PageFlag.SPLICED);
      this.wakeOne();
    }
  }

  /** Wake one allocation waiting under pressure (a page was freed or became evictable). */
  wakeOne(): void {
    if (this.waiters.length > 0) this.waiters.shift()!();
  }

  setFlag(page: Page, bit: number): void {
    if (page.flags & bit) return;
    page.flags |= bit;
    this.count(bit, 1);
    if (bit !== PageFlag.SPLICED) page.owner?.retag(page.index, bit, true);
  }

  clearFlag(page: Page, bit: number): void {
    if (!(page.flags & bit)) return;
    page.flags &= ~bit;
    this.count(bit, -1);
    if (bit !== PageFlag.SPLICED) page.owner?.retag(page.index, bit, false);
  }

  /** Evict up to `limit` evictable pages (all of them by default); returns how many. */
  evict(limit = Infinity): number {
    let evicted = 0;
    let page = this.lruTail;
    while (page && evicted < limit) {
      const prev = page.lruPrev;
      if (this.evictable(page)) {
        this.evictPage(page);
        evicted++;
      }
      page = prev;
    }
    return evicted;
  }

  lruAdd(page: Page): void {
    if (page.inLru) this.lruUnlink(page);
    page.inLru = true;
    page.lruPrev = null;
    page.lruNext = this.lruHead;
    if (this.lruHead) this.lruHead.lruPrev = page;
    this.lruHead = page;
    if (!this.lruTail) this.lruTail = page;
    this.lruCount++;
  }

  touch(page: Page): void {
    page.referenced = true;
  }

  lruRemove(page: Page): void {
    if (page.inLru) this.lruUnlink(page);
  }

  /** Release every slab (shutdown), telling the listeners first. Pages must no longer be used afterwards. */
  destroy(): void {
    for (const slab of this.slabList) {
      for (const { cleanups } of this.subscriptions) {
        const cleanup = cleanups.get(slab.id);
        cleanups.delete(slab.id);
        cleanup?.();
      }
      this.allocator.release(slab.id);
    }
    this.slabList.length = 0;
    this.freePages.length = 0;
  }

  private evictable(page: Page): boolean {
    return page.refcount === 1 && page.flags === 0 && page.loading === null && page.owner !== null;
  }

  private evictPage(page: Page): void {
    page.owner!.detach(page);
    this.evictions++;
    this.put(page);
  }

  /**
   * Take the least recently used evictable page. Pages met on the way rotate to the head:
   * recently referenced ones lose their mark (second chance), pinned or tagged ones wait.
   */
  private evictFromTail(): boolean {
    let budget = 2 * this.lruCount;
    while (this.lruTail && budget-- > 0) {
      const page = this.lruTail;
      if (this.evictable(page) && !page.referenced) {
        this.evictPage(page);
        return true;
      }
      page.referenced = false;
      this.lruAdd(page);
    }
    return false;
  }

  private growSlab(): Page | undefined {
    const { id, memory } = this.allocator.allocate(this.options.slabBytes);
    const slab: SlabPages = { id, memory, pages: [] };
    const count = this.options.slabBytes / PAGE_SIZE;
    for (let i = 0; i < count; i++) slab.pages.push(new Page(slab, i));
    // Pushed in reverse so pops hand out ascending addresses: sequential fills get contiguous pages.
    for (let i = count - 1; i >= 0; i--) this.freePages.push(slab.pages[i]);
    this.slabList.push(slab);
    this.totalPages += count;
    for (const subscription of [...this.subscriptions]) this.announce(subscription, slab);
    return this.freePages.pop();
  }

  private announce(subscription: Subscription, { id, memory }: SlabPages): void {
    const cleanup = subscription.listener({ id, memory });
    if (typeof cleanup === 'function') subscription.cleanups.set(id, cleanup);
  }

  private free(page: Page): void {
    if (page.flags & PageFlag.SPLICED && page.owner === null) this.orphanSpliced--;
    if (page.flags !== 0) {
      for (let bit = 1; bit <= PageFlag.SPLICED; bit <<= 1) if (page.flags & bit) this.count(bit, -1);
      page.flags = 0;
    }
    page.bounce = false;
    page.dirtyBytes = null;
    page.referenced = false;
    page.owner = null;
    page.index = -1;
    page.loading = null;
    this.lruRemove(page);
    this.freePages.push(page);
    this.wakeOne();
  }

  private count(bit: number, delta: number): void {
    if (bit === PageFlag.DIRTY) this.flagCounts.dirty += delta;
    else if (bit === PageFlag.WRITEBACK) this.flagCounts.writeback += delta;
    else if (bit === PageFlag.TOWRITE) this.flagCounts.towrite += delta;
    else if (bit === PageFlag.SPLICED) this.flagCounts.spliced += delta;
  }

  private lruUnlink(page: Page): void {
    if (page.lruPrev) page.lruPrev.lruNext = page.lruNext;
    else this.lruHead = page.lruNext;
    if (page.lruNext) page.lruNext.lruPrev = page.lruPrev;
    else this.lruTail = page.lruPrev;
    page.lruPrev = page.lruNext = null;
    page.inLru = false;
    this.lruCount--;
  }
}

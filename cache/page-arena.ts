import { NO_PAGE, type Page, type PageOwner, type SlabPages } from './page.js';
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

/** Bits of `state` (arena bookkeeping, not tags). */
const IN_LRU = 1;
/** Accessed since the eviction scan last passed (second chance, like PG_referenced). */
const REFERENCED = 2;
/** A private copy handed to one reader (not in any index). */
const BOUNCE = 4;

/**
 * Fixed-size pages carved from large slabs, a free list, and an LRU of indexed pages.
 * Eviction only takes pages that are clean, untagged and held by nothing but their index.
 *
 * Page state is a table: one typed array per field, indexed by page number, sized for the
 * cache's largest page count up front (zeroed memory the kernel maps in as slabs are carved).
 * refcount: 0 = free; the index holds 1 (its base), each outstanding bvec, mapping pin and
 * in-flight fill holds one more. A bounce page's base is its single holder.
 */
export class PageArena {
  private readonly allocator: SlabAllocator;
  private readonly slabList: SlabPages[] = [];
  private readonly subscriptions: Subscription[] = [];
  private readonly waiters: Array<() => void> = [];
  private readonly maxSlabs: number;
  readonly pagesPerSlab: number;
  /** References held on each page. */
  readonly refcount: Int32Array;
  /** Tag bits (PageFlag) of each page. */
  readonly flags: Uint8Array;
  private readonly state: Uint8Array;
  /** Position of each indexed page in its file (page index); meaningless while it has no owner. */
  private readonly fileIndex: Float64Array;
  /** Owner id of each page (0: none), into `owners`. */
  private readonly ownerIds: Int32Array;
  private readonly owners: (PageOwner | undefined)[] = [undefined];
  private readonly freeOwnerIds: number[] = [];
  private readonly lruPrev: Int32Array;
  private readonly lruNext: Int32Array;
  private readonly freeStack: Int32Array;
  private freeTop = 0;
  /** Fill of each page being read from disk (0: none), into `fills`: pages of one read share it. */
  private readonly fillIds: Int32Array;
  private readonly fills: (Promise<void> | undefined)[] = [undefined];
  private readonly freeFillIds: number[] = [];
  /** Write-behind: the bytes the client wrote since the last writeback, by page (none recorded: absent). */
  private readonly dirtyBits = new Map<Page, Uint8Array>();
  private lruHead: Page = NO_PAGE;
  private lruTail: Page = NO_PAGE;
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
    this.pagesPerSlab = options.slabBytes / PAGE_SIZE;
    const pages = this.maxPages;
    this.refcount = new Int32Array(pages);
    this.flags = new Uint8Array(pages);
    this.state = new Uint8Array(pages);
    this.fileIndex = new Float64Array(pages);
    this.ownerIds = new Int32Array(pages);
    this.lruPrev = new Int32Array(pages);
    this.lruNext = new Int32Array(pages);
    this.freeStack = new Int32Array(pages);
    this.fillIds = new Int32Array(pages);
  }

  get maxPages(): number {
    return this.maxSlabs * this.pagesPerSlab;
  }

  get freeCount(): number {
    return this.freeTop + (this.maxSlabs - this.slabList.length) * this.pagesPerSlab;
  }

  get indexedCount(): number {
    return this.lruCount;
  }

  slabs(): Slab[] {
    return this.slabList.map(({ id, memory }) => ({ id, memory }));
  }

  /** The slab that holds `page`. */
  slabOf(page: Page): SlabPages {
    return this.slabList[Math.floor(page / this.pagesPerSlab)];
  }

  /** Byte offset of the page inside its slab. */
  slabOffset(page: Page): number {
    return (page % this.pagesPerSlab) * PAGE_SIZE;
  }

  slabId(page: Page): number {
    return this.slabOf(page).id;
  }

  /** Whether `next` is the page right after `page` in the same slab. */
  adjacent(page: Page, next: Page): boolean {
    return next === page + 1 && next % this.pagesPerSlab !== 0;
  }

  /** A view of `count` pages from `page` (all in one slab), made on each call: nothing is kept per page. */
  view(page: Page, count = 1): Buffer {
    const start = this.slabOffset(page);
    return this.slabOf(page).memory.subarray(start, start + count * PAGE_SIZE);
  }

  /** The page's slab memory and the page's byte offset in it, for copies without a view. */
  memory(page: Page): Buffer {
    return this.slabOf(page).memory;
  }

  owner(page: Page): PageOwner | null {
    return this.owners[this.ownerIds[page]] ?? null;
  }

  /** Whether the page is indexed by `owner`. */
  ownedBy(page: Page, owner: PageOwner): boolean {
    const id = this.ownerIds[page];
    return id !== 0 && this.owners[id] === owner;
  }

  /** The page's position in its file (valid while it has an owner). */
  indexOf(page: Page): number {
    return this.fileIndex[page];
  }

  /** An id for a page owner, given back with releaseOwnerId once it indexes no page. */
  ownerId(owner: PageOwner): number {
    const id = this.freeOwnerIds.pop() ?? this.owners.length;
    this.owners[id] = owner;
    return id;
  }

  releaseOwnerId(id: number): void {
    this.owners[id] = undefined;
    this.freeOwnerIds.push(id);
  }

  /** Record the page as indexed by owner `id` at `index` (id 0: not indexed). */
  setOwner(page: Page, id: number, index: number): void {
    this.ownerIds[page] = id;
    this.fileIndex[page] = index;
  }

  /** The read filling the page from disk, or null when it is not being filled. */
  loading(page: Page): Promise<void> | null {
    const id = this.fillIds[page];
    return id === 0 ? null : this.fills[id]!;
  }

  isLoading(page: Page): boolean {
    return this.fillIds[page] !== 0;
  }

  /** `pages` are being filled by `fill` (readers wait on it) until endLoading with the id returned. */
  startLoading(pages: readonly Page[], fill: Promise<void>): number {
    const id = this.freeFillIds.pop() ?? this.fills.length;
    this.fills[id] = fill;
    for (const page of pages) this.fillIds[page] = id;
    return id;
  }

  endLoading(pages: readonly Page[], id: number): void {
    for (const page of pages) if (this.fillIds[page] === id) this.fillIds[page] = 0;
    this.fills[id] = undefined;
    this.freeFillIds.push(id);
  }

  isBounce(page: Page): boolean {
    return (this.state[page] & BOUNCE) !== 0;
  }

  markBounce(page: Page): void {
    this.state[page] |= BOUNCE;
  }

  dirtyBytes(page: Page): Uint8Array | null {
    return this.dirtyBits.get(page) ?? null;
  }

  setDirtyBytes(page: Page, bits: Uint8Array | null): void {
    if (bits) this.dirtyBits.set(page, bits);
    else this.dirtyBits.delete(page);
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

  /** A page with refcount 1 and no tags, or NO_PAGE when every page is in use and none can be evicted. */
  allocate(): Page {
    let page = this.popFree();
    if (page === NO_PAGE && this.slabList.length < this.maxSlabs) page = this.growSlab();
    if (page === NO_PAGE && this.evictFromTail()) page = this.popFree();
    if (page === NO_PAGE) return NO_PAGE;
    this.refcount[page] = 1;
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
      if (page === NO_PAGE) break;
      pages.push(page);
    }
    // Page numbers follow slab order, and addresses within a slab.
    return pages.sort((a, b) => a - b);
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
    if (this.refcount[page] <= 0) throw new Error('page reference underflow');
    if (--this.refcount[page] === 0) this.free(page);
  }

  /**
   * Drop a holder's reference (bvec, mapping pin, fill or writeback pin). Back at the
   * base (only the index holds it) the page is no longer spliced and may be evicted.
   */
  unref(page: Page): void {
    this.put(page);
    if (this.refcount[page] === 1 && this.ownerIds[page] !== 0) {
      this.clearFlag(page, PageFlag.SPLICED);
      this.wakeOne();
    }
  }

  /** Wake one allocation waiting under pressure (a page was freed or became evictable). */
  wakeOne(): void {
    if (this.waiters.length > 0) this.waiters.shift()!();
  }

  setFlag(page: Page, bit: number): void {
    if (this.flags[page] & bit) return;
    this.flags[page] |= bit;
    this.count(bit, 1);
    if (bit !== PageFlag.SPLICED) this.owner(page)?.retag(this.fileIndex[page], bit, true);
  }

  clearFlag(page: Page, bit: number): void {
    if (!(this.flags[page] & bit)) return;
    this.flags[page] &= ~bit;
    this.count(bit, -1);
    if (bit !== PageFlag.SPLICED) this.owner(page)?.retag(this.fileIndex[page], bit, false);
  }

  /** Evict up to `limit` evictable pages (all of them by default); returns how many. */
  evict(limit = Infinity): number {
    let evicted = 0;
    let page = this.lruTail;
    while (page !== NO_PAGE && evicted < limit) {
      const prev = this.lruPrev[page];
      if (this.evictable(page)) {
        this.evictPage(page);
        evicted++;
      }
      page = prev;
    }
    return evicted;
  }

  lruAdd(page: Page): void {
    if (this.state[page] & IN_LRU) this.lruUnlink(page);
    this.state[page] |= IN_LRU;
    this.lruPrev[page] = NO_PAGE;
    this.lruNext[page] = this.lruHead;
    if (this.lruHead !== NO_PAGE) this.lruPrev[this.lruHead] = page;
    this.lruHead = page;
    if (this.lruTail === NO_PAGE) this.lruTail = page;
    this.lruCount++;
  }

  touch(page: Page): void {
    this.state[page] |= REFERENCED;
  }

  lruRemove(page: Page): void {
    if (this.state[page] & IN_LRU) this.lruUnlink(page);
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
    this.freeTop = 0;
  }

  private popFree(): Page {
    return this.freeTop > 0 ? this.freeStack[--this.freeTop] : NO_PAGE;
  }

  private evictable(page: Page): boolean {
    return this.refcount[page] === 1 && this.flags[page] === 0 && this.fillIds[page] === 0 && this.ownerIds[page] !== 0;
  }

  private evictPage(page: Page): void {
    this.owner(page)!.detach(page);
    this.evictions++;
    this.put(page);
  }

  /**
   * Take the least recently used evictable page. Pages met on the way rotate to the head:
   * recently referenced ones lose their mark (second chance), pinned or tagged ones wait.
   */
  private evictFromTail(): boolean {
    let budget = 2 * this.lruCount;
    while (this.lruTail !== NO_PAGE && budget-- > 0) {
      const page = this.lruTail;
      if (this.evictable(page) && !(this.state[page] & REFERENCED)) {
        this.evictPage(page);
        return true;
      }
      this.state[page] &= ~REFERENCED;
      this.lruAdd(page);
    }
    return false;
  }

  private growSlab(): Page {
    const { id, memory } = this.allocator.allocate(this.options.slabBytes);
    const count = this.pagesPerSlab;
    const first = this.slabList.length * count;
    const slab: SlabPages = { id, memory, first, count };
    this.lruPrev.fill(NO_PAGE, first, first + count);
    this.lruNext.fill(NO_PAGE, first, first + count);
    // Pushed in reverse so pops hand out ascending addresses: sequential fills get contiguous pages.
    for (let k = count - 1; k >= 0; k--) this.freeStack[this.freeTop++] = first + k;
    this.slabList.push(slab);
    this.totalPages += count;
    for (const subscription of [...this.subscriptions]) this.announce(subscription, slab);
    return this.popFree();
  }

  private announce(subscription: Subscription, { id, memory }: SlabPages): void {
    const cleanup = subscription.listener({ id, memory });
    if (typeof cleanup === 'function') subscription.cleanups.set(id, cleanup);
  }

  private free(page: Page): void {
    const flags = this.flags[page];
    if (flags & PageFlag.SPLICED && this.ownerIds[page] === 0) this.orphanSpliced--;
    if (flags !== 0) {
      for (let bit = 1; bit <= PageFlag.SPLICED; bit <<= 1) if (flags & bit) this.count(bit, -1);
      this.flags[page] = 0;
    }
    this.lruRemove(page);
    this.state[page] = 0;
    this.fillIds[page] = 0;
    this.dirtyBits.delete(page);
    this.ownerIds[page] = 0;
    this.freeStack[this.freeTop++] = page;
    this.wakeOne();
  }

  private count(bit: number, delta: number): void {
    if (bit === PageFlag.DIRTY) this.flagCounts.dirty += delta;
    else if (bit === PageFlag.WRITEBACK) this.flagCounts.writeback += delta;
    else if (bit === PageFlag.TOWRITE) this.flagCounts.towrite += delta;
    else if (bit === PageFlag.SPLICED) this.flagCounts.spliced += delta;
  }

  private lruUnlink(page: Page): void {
    const prev = this.lruPrev[page];
    const next = this.lruNext[page];
    if (prev !== NO_PAGE) this.lruNext[prev] = next;
    else this.lruHead = next;
    if (next !== NO_PAGE) this.lruPrev[next] = prev;
    else this.lruTail = prev;
    this.lruPrev[page] = this.lruNext[page] = NO_PAGE;
    this.state[page] &= ~IN_LRU;
    this.lruCount--;
  }
}

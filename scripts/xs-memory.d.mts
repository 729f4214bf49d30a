export interface XsCreationSizes { chunkBytes: number; slots: number; stack: number; keys: number; names: number; symbols: number }
export interface XsMemoryRow { name: string; slots: number; chunkBytes: number; keys: number; collections: number; slotBytes: number }
export interface XsMemoryRun { status: number; stdout: string; stderr: string; bits: number; creation: XsCreationSizes }
export declare function ensureXsMemoryHost(): { path: string; bits: number };
export declare function manifestCreation(): XsCreationSizes;
export declare function bundleForXsMemory(entrySource: string, outfile: string, plugins?: unknown[]): Promise<string>;
export declare function runXsMemory(file: string, creation?: Partial<XsCreationSizes>): XsMemoryRun;
export declare function xsMemoryRows(stdout: string): { rows: XsMemoryRow[]; done: boolean };
export declare function measureEnginesOnXs(creation?: Partial<XsCreationSizes>): Promise<XsMemoryRun & { done: boolean; rows: XsMemoryRow[]; runs: (XsMemoryRun & { done: boolean; rows: XsMemoryRow[] })[] }>;
export interface XsFootprint { label: string; meters: number; seconds: number; error: string; published: number; simulator: [number, number, number] | null; booted: [number, number, number] | null; end: [number, number, number] | null }
export declare function bootSites(): [string, unknown][];
export declare function measureBootsOnXs(seconds?: number): Promise<{ label: string; status: number; stderr: string; bits: number; result: XsFootprint | null }[]>;
export declare function measureSteadyOnXs(count?: number, what?: "adapter" | "concentrator"): Promise<{ status: number; stderr: string; bits: number; result: { transactions: number; slots: number; chunkBytes: number; collections: number } | null }>;

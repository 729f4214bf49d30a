export declare const xsnapPath: string;
export declare function ensureXsnap(): string;
export declare function bundleForXs(entrySource: string, outfile: string): Promise<string>;
export declare function runXs(file: string): string;

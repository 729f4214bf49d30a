export declare const statusPageSource: string;
export declare const statusPageBuild: string;
export declare const SCRIPT_FILE: string;
export declare function buildStatusPage(out?: string): string[];
export declare function statusPageIsCurrent(out?: string): boolean;

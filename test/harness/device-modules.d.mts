export declare const deviceModulesPlugin: { name: string; setup(build: unknown): void };

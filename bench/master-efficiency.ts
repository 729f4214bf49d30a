export function busEfficiency(): string { return "(simulator not merged yet)"; }

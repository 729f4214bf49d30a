// Counted nouns for the command line's messages: "1 reading", "2 readings", "0 failed polls".

/** `n` and the noun in the form its count takes (the plural defaults to the noun + "s"). */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

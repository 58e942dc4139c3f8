/** opencc-js ships no types for its dictionaries: each is a string of "traditional simplified" pairs, `|`-separated. */
declare module 'opencc-js/dict/TSCharacters' {
  const dict: string;
  export default dict;
}

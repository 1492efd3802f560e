import type { ESLint } from 'eslint';

export declare const LAYER_RANK: Readonly<Record<string, number>>;
declare const plugin: ESLint.Plugin;
export default plugin;

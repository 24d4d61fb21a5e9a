// mcp-proxy imports pipenet for its --tunnel option, which the benchmark never uses.
export async function pipenet() {
  throw new Error('tunnels are not available in the Airlock benchmark (pipenet is stubbed out)');
}
export default pipenet;

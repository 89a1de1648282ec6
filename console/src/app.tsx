export function App() {
  return <main><h1>latchkey</h1></main>;
}

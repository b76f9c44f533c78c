// The parts of Chart.js the console draws with (bar and line charts), registered once. Imported
// only through import() by consoleChart.ts, so it is a chunk of its own that only organisers
// load, and named imports let the bundler leave the rest of Chart.js out.

import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Legend, Tooltip);

export { Chart };

export { createProxyMetrics, routeGroup, type ProcessFigures, type ProxyMetrics, type RequestObservation, type RouteGroup } from './proxy-metrics.ts'
export { Counter, Gauge, Histogram, mergeSnapshots, Registry, renderExposition, EXPOSITION_CONTENT_TYPE, type FamilySnapshot, type MetricType, type SeriesSnapshot } from './registry.ts'
export { metricsListenerApp } from './listener-app.ts'

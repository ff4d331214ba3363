/** The run's HTML report, self-contained (inline SVG, nothing fetched). Depends on Jackson only. */
package dev.fovea.driver.report;

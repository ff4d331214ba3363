/** The {@code fovea} command line (picocli). Depends on the rest of the driver. */
package dev.fovea.driver.cli;

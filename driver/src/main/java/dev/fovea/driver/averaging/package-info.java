/** How workers' parameters are combined after each round. Depends on the worker package. */
package dev.fovea.driver.averaging;

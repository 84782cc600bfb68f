global using System.Threading.Tasks;
global using System.Linq;
global using System.Collections.Generic;

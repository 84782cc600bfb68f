global using System.Threading.Tasks;
global using System.Linq;
